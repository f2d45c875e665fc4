"""User progress in DynamoDB, through ask-sdk's own DynamoDbAdapter (ask-sdk-dynamodb-persistence-adapter).

Two things the adapter does not do for us:
- DynamoDB has no floats: boto3 refuses to write them and reads every number back as Decimal.
  UserState holds floats (pace) and ints (place, offsets) and, reading forgivingly, would quietly
  drop a Decimal where it expects an int, losing the user's place. `DecimalCodec` converts on
  the way in and out, so the skill sees exactly the JSON types it saved.
- Importing ask_sdk_dynamodb.adapter builds a boto3 resource as a default argument, which fails
  with NoRegionError on a machine with no AWS region configured (a laptop running `serve`). It is
  imported only here, only when DynamoDB is chosen, with a region in place for that moment.

Retries: a boto3 config with the "standard" retry mode (exponential backoff with jitter, throttling
and transient errors retried) and short timeouts, three attempts in all, which fits inside the 8
seconds Alexa waits. After that the adapter raises PersistenceException, and the skill says it
cannot reach the saved progress (handlers/errors.py) or could not save it (handlers/state.py); the
stored state is never half-written, so no place is lost.
"""
from __future__ import annotations

import contextlib
import os
import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterator

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

RETRIES = {"mode": "standard", "total_max_attempts": 3}  # the first try and two retries
CONNECT_TIMEOUT, READ_TIMEOUT = 1.0, 2.0


class DynamoDbStoreError(Exception):
    """DynamoDB is not usable as configured (no region, bad table name...): the message says how to fix it."""


def dynamodb_adapter(table: str, *, region: str | None = None, create_table: bool = False,
                     resource: Any = None) -> AbstractPersistenceAdapter:
    """ask-sdk's DynamoDbAdapter for `table` (partition key "id" = the Alexa user id, attributes in
    "attributes"), with retries and JSON-faithful numbers. `create_table` creates it if missing
    (on-demand tables are better made by your infrastructure code; see the README)."""
    if not table:
        raise DynamoDbStoreError("no DynamoDB table name: set --dynamodb-table or $BACK_ROUTINE_DYNAMODB_TABLE")
    import boto3
    from botocore.config import Config
    from botocore.exceptions import NoRegionError

    if resource is None:
        config = Config(retries=dict(RETRIES), connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT)
        try:
            resource = boto3.resource("dynamodb", region_name=region, config=config)
        except NoRegionError:
            raise DynamoDbStoreError("DynamoDB needs an AWS region: set $AWS_REGION (Lambda sets it for you)") from None
    with _region_for_import(resource.meta.client.meta.region_name):
        from ask_sdk_core.exceptions import PersistenceException
        from ask_sdk_dynamodb.adapter import DynamoDbAdapter
    try:
        adapter = DynamoDbAdapter(table_name=table, create_table=create_table, dynamodb_resource=resource)
    except PersistenceException as exc:
        raise DynamoDbStoreError(f"cannot create the DynamoDB table {table}: {exc}") from None
    return DecimalCodec(adapter)


class DecimalCodec(AbstractPersistenceAdapter):
    """Wraps an adapter whose store speaks Decimal (DynamoDB) so that callers see ints and floats."""

    def __init__(self, inner: AbstractPersistenceAdapter):
        self.inner = inner

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        return from_dynamodb(self.inner.get_attributes(request_envelope))

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        self.inner.save_attributes(request_envelope, to_dynamodb(attributes))

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self.inner.delete_attributes(request_envelope)


def to_dynamodb(value: Any) -> Any:
    if isinstance(value, float):
        # str() keeps the float's shortest repr (1.25 -> Decimal("1.25")), not its binary expansion.
        return Decimal(str(value)) if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {k: to_dynamodb(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_dynamodb(v) for v in value]
    return value


def from_dynamodb(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    if isinstance(value, dict):
        return {k: from_dynamodb(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamodb(v) for v in value]
    return value


@contextlib.contextmanager
def _region_for_import(region: str | None) -> Iterator[None]:
    """Give the adapter module's import-time boto3.resource() a region if the environment has none;
    restored at once (our own resource, with its region, is what the adapter uses)."""
    if "ask_sdk_dynamodb.adapter" in sys.modules or os.environ.get("AWS_DEFAULT_REGION"):
        yield
        return
    os.environ["AWS_DEFAULT_REGION"] = region or "us-east-1"
    try:
        yield
    finally:
        os.environ.pop("AWS_DEFAULT_REGION", None)
