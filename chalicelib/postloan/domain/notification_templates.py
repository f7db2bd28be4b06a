"""Chinese notification texts (通知模板) from the ``notification_templates`` parameter document.

A template is ``{"channel": "sms" | "push", "text": "...{field}..."}``; fields are filled with
:meth:`str.format_map`. Personal data never goes into a template: loans are named by the last six
characters of their number (``loan_ref``), households by theirs (``household_ref``). A template that
names a field the caller did not give raises :class:`TemplateInvalid` (a broken template edit must be
noticed, not send half a message).
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chalicelib.platform.errors import ValidationFailed

CHANNELS = ("sms", "push")
LEVEL_ZH = {"yellow": "黄色", "orange": "橙色", "red": "红色"}
CATEGORY_ZH = {"pass": "正常", "special_mention": "关注", "substandard": "次级", "doubtful": "可疑", "loss": "损失"}


class TemplateInvalid(ValidationFailed):
    code = "NOTIFICATION_TEMPLATE_INVALID"


def ref(identifier: str) -> str:
    """The last six characters of an id, for texts (尾号)."""
    return str(identifier)[-6:]


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def render(document: Mapping[str, Any], name: str, fields: Mapping[str, Any]) -> tuple[str, str]:
    """``(channel, text)`` of template ``name`` filled with ``fields``."""
    template = (document.get("templates") or {}).get(name)
    if not isinstance(template, Mapping) or template.get("channel") not in CHANNELS or not template.get("text"):
        raise TemplateInvalid(f"notification template {name} is missing or malformed", field=f"templates.{name}")
    try:
        text = str(template["text"]).format_map({k: _text(v) for k, v in fields.items()})
    except (KeyError, IndexError, ValueError) as exc:
        raise TemplateInvalid(f"notification template {name} needs a field that is not given: {exc}",
                              field=f"templates.{name}") from None
    return str(template["channel"]), text
