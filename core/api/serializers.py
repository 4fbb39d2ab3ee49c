"""Serializer helpers shared by the apps' APIs."""

from __future__ import annotations

import copy


class BuiltFieldsOnceMixin:
    """A ``ModelSerializer`` whose fields are introspected once per class, not per instance.

    DRF rebuilds a model serializer's fields from the model on every instantiation (the
    largest cost of rendering one order); the result depends only on the class, so it is
    kept and every instance gets deep copies — exactly what DRF does for declared fields.
    Only for serializers whose ``get_fields`` does not look at the context.
    """

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            cls._built_fields = built
        return copy.deepcopy(built)
