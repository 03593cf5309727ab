"""The API's page numbers (DEFAULT_PAGINATION_CLASS), apart from config.api: REST framework
reads this setting while config.api's own imports (REST framework's views) are still loading."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from rest_framework import pagination, serializers
from rest_framework.request import Request


class PageNumberPagination(pagination.PageNumberPagination):
    """REST framework's pages, reading `page` as the schema documents it: a whole number
    from 1, given once. REST framework would read the last of several, and answer 404 for
    an empty or a malformed one as for a page past the end; those are 400 here. A page past
    the end is still a 404."""

    def get_page_number(self, request: Request, paginator: Paginator) -> Any:
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        if len(values) > 1:
            raise serializers.ValidationError(
                {self.page_query_param: ["Give this parameter once."]}
            )
        page = values[0]
        if not (page.isascii() and page.isdigit()) or not page.strip("0"):
            raise serializers.ValidationError(
                {self.page_query_param: ["A page number is a whole number from 1."]}
            )
        return page

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
                parameter["description"] = (
                    "A page number from 1 (400 otherwise); a page past the last is a 404."
                )
        return parameters
