"""Customer management (客户管理): household files and members, one person one household, agricultural
entities, roster imports, PAD offline sync and images: the route group ``customers`` (chalicelib.routes), one
module per resource. Out-of-scope households answer 404 on every route.
"""
from __future__ import annotations

from chalicelib.customers.api import entities, households, images, imports, members, sync
from chalicelib.customers.api.base import api

__all__ = ["api", "entities", "households", "images", "imports", "members", "sync"]
