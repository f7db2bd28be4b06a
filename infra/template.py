"""Reading template.yaml: YAML with CloudFormation short-form tags, and resolution of the intrinsic
functions the local stack needs (Ref, Fn::GetAtt, Fn::Sub, Fn::If on known conditions, Fn::Join)."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _Loader(yaml.SafeLoader):
    pass


def _tag(name: str) -> Callable[[yaml.Loader, yaml.Node], dict[str, Any]]:
    def construct(loader: yaml.Loader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            assert isinstance(node, yaml.MappingNode)  # scalar, sequence or mapping: yaml has no fourth kind
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return construct


for _short, _long in {"Ref": "Ref", "GetAtt": "Fn::GetAtt", "Sub": "Fn::Sub", "If": "Fn::If", "Not": "Fn::Not",
                      "Equals": "Fn::Equals", "Join": "Fn::Join", "Select": "Fn::Select", "Split": "Fn::Split",
                      "And": "Fn::And", "Or": "Fn::Or", "GetAZs": "Fn::GetAZs", "ImportValue": "Fn::ImportValue",
                      "Condition": "Condition", "FindInMap": "Fn::FindInMap", "Base64": "Fn::Base64"}.items():
    _Loader.add_constructor(f"!{_short}", _tag(_long))


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as plain data, short-form tags expanded to their long forms."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


class Resolver:
    """Resolves intrinsic functions against ``physical`` ids and ``attributes`` of created resources.

    ``physical[logical_id]`` is what ``Ref`` returns; ``attributes[(logical_id, attr)]`` what
    ``Fn::GetAtt`` returns. Raises KeyError naming an unknown resource or attribute.
    """

    def __init__(self, *, stack_name: str, region: str, account: str, parameters: dict[str, str],
                 conditions: dict[str, bool]):
        self.pseudo = {"AWS::StackName": stack_name, "AWS::Region": region, "AWS::AccountId": account,
                       "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": None}
        self.physical: dict[str, str] = dict(parameters)
        self.attributes: dict[tuple[str, str], str] = {}
        self.conditions = conditions

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not None]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                if arg in self.pseudo:
                    return self.pseudo[arg]
                return self.physical[arg]
            if key == "Fn::GetAtt":
                return self.attributes[(arg[0], arg[1])]
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::If":
                cond, yes, no = arg
                return self.resolve(yes if self.conditions[cond] else no)
            if key == "Fn::Join":
                sep, parts = arg
                return sep.join(str(p) for p in self.resolve(parts))
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: Any) -> str:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], {k: self.resolve(v) for k, v in arg[1].items()})

        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name in extra:
                return str(extra[name])
            if name in self.pseudo:
                return str(self.pseudo[name])
            if "." in name:
                res, attr = name.split(".", 1)
                return str(self.attributes[(res, attr)])
            return str(self.physical[name])

        return re.sub(r"\$\{([A-Za-z0-9:._]+)\}", repl, text)


def resources_of(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    """Resources of the given types, by logical id, in template order."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] in types}


def function_environment(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """Globals environment merged with the function's own (unresolved)."""
    env = dict(template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
    props = template["Resources"][logical_id]["Properties"]
    env.update(props.get("Environment", {}).get("Variables", {}))
    return env
