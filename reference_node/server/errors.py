"""The key server's errors, each with the HTTP status and error name of spec SRV-15.

Messages name the rule and the offending field, never a code, token, secret or key.
"""

from __future__ import annotations

from bluezone.reference_node.errors import NodeError


class ServerError(NodeError):
    """Base class of the key server's failures; ``status`` is the HTTP status to answer."""

    code = "server_error"
    status = 500


class MalformedJsonError(ServerError):
    """The body is not UTF-8 JSON holding one object (SRV-2)."""

    code = "malformed_json"
    status = 400


class InvalidRequestError(ServerError):
    """A field is missing, unknown, of the wrong type or out of range (SRV-2)."""

    code = "invalid_request"
    status = 400


class RequestTooLargeError(ServerError):
    """The body is larger than the endpoint's limit (SRV-2)."""

    code = "request_too_large"
    status = 413


class RequestTimeoutError(ServerError):
    """The body did not arrive within the body deadline (OPS-1)."""

    code = "request_timeout"
    status = 408


class UnsupportedMediaTypeError(ServerError):
    """A JSON endpoint's body is not sent as application/json (SRV-2)."""

    code = "unsupported_media_type"
    status = 415


class UnauthorizedError(ServerError):
    """The health-authority API key is missing or wrong (SRV-3)."""

    code = "unauthorized"
    status = 401


class RateLimitedError(ServerError):
    """Too many requests; ``retry_after_s`` says when to try again (SRV-14)."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class CodeNotFoundError(ServerError):
    """No code with this value was issued (SRV-4)."""

    code = "code_not_found"
    status = 404


class CodeUsedError(ServerError):
    """The code was already exchanged for a token (SRV-4)."""

    code = "code_used"
    status = 409


class CodeExpiredError(ServerError):
    """The code's validity ended (SRV-4)."""

    code = "code_expired"
    status = 410


class TokenNotFoundError(ServerError):
    """No upload token with this value exists (SRV-7)."""

    code = "token_not_found"
    status = 404


class TokenUsedError(ServerError):
    """The token was already used for an upload (SRV-7)."""

    code = "token_used"
    status = 409


class TokenExpiredError(ServerError):
    """The token's validity ended (SRV-7)."""

    code = "token_expired"
    status = 410


class NotFoundError(ServerError):
    """No such batch, checkpoint or proof (SRV-11, SRV-13)."""

    code = "not_found"
    status = 404


class StorageError(ServerError):
    """The storage failed; the request's effects were rolled back (SRV-10)."""

    code = "storage_unavailable"
    status = 503


class StorageSchemaTooNewError(StorageError):
    """The database was written by a newer server; it is left untouched (SRV-19)."""

    code = "storage_schema_too_new"


class ConfigError(ServerError):
    """The server's configuration or key files are missing or malformed."""

    code = "server_config"
    status = 500


class ClientError(NodeError):
    """Base class of the failures of the client, the auditor and the witness (SRV-17)."""

    code = "client_error"


class ServerResponseError(ClientError):
    """The server answered with an error; ``error`` is its SRV-15 name, ``status`` HTTP.

    ``retry_after_s`` is the answer's ``Retry-After`` in seconds (SRV-14), None without one.
    """

    code = "server_response"

    def __init__(
        self, message: str, status: int, error: str, retry_after_s: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.retry_after_s = retry_after_s


class BadServerDataError(ClientError):
    """The server sent data that does not parse (a malformed index, proof or body)."""

    code = "bad_server_data"


class LogVerificationError(ClientError):
    """A signature, inclusion or consistency check failed (SRV-17, SRV-18, LOG-11, LOG-12).

    ``kind`` is one of "bad_signature", "not_included", "split_view", "rewritten_history".
    """

    code = "log_verification_failed"

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class WitnessKeyError(ClientError):
    """The witness's key file is missing, unreadable or not a signing key (LOG-7)."""

    code = "witness_key_invalid"


class WitnessStateError(ClientError):
    """The witness's state file cannot be read or written, or is not a witness state (LOG-13).

    The witness then cosigns nothing: without its last cosigned checkpoint it cannot check
    that the log only grew.
    """

    code = "witness_state_invalid"


class WrongCodeKindError(ServerError):
    """A revision token sent to /v1/publish, or an upload token to /v1/revise (SRV-21, SRV-24)."""

    code = "wrong_code_kind"
    status = 400


class QuotaExceededError(ServerError):
    """The health authority's daily quota of codes is used up (PORTAL-10)."""

    code = "quota_exceeded"
    status = 429


class StaffExistsError(ServerError):
    """A portal account with this username exists already (PORTAL-2)."""

    code = "staff_exists"
    status = 409
