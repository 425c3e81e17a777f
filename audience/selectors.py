"""Reads of the audience: attribute names and reach."""

from .models import AttributeName


def attribute_names() -> dict[str, str]:
    """{"0": "sex", …}, the names campaign conditions may use."""
    return {str(a.index): a.name for a in AttributeName.objects.all()}
