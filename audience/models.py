"""The app's attribute names, segments of accounts, bulk tagging jobs, and the audience mirror."""

from django.db import models


class AttributeName(models.Model):
    """One of the app's ten attribute slots ("0"–"9"), as last set on Tencent."""

    index = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=50, unique=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["index"]

    def __str__(self):
        return f"{self.index}: {self.name}"
