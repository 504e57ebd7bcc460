"""A fake Twilio REST endpoint for outgoing messages, recording every request.

twilio's own client posts to it (POST /2010-04-01/Accounts/<sid>/Messages.json, form-encoded, basic
auth); tests read what was sent and can make the next sends fail with a Twilio error code.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class Sent:
    """One create-message request as received."""

    account: str
    auth: tuple[str, str]
    params: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    ok: bool = True


@dataclass
class TwilioError:
    """An error to answer the next matching requests with."""

    status: int
    code: int
    to: str | None
    times: int


@dataclass
class FakeTwilio:
    """The endpoint's state and its Starlette app."""

    url: str = ""  # where it serves, set by whoever serves it
    requests: list[Sent] = field(default_factory=list)
    errors: list[TwilioError] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sids = itertools.count(1)
        self.app = Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{account}/Messages.json", self._create, methods=["POST"]
                )
            ]
        )
        self.arrived = asyncio.Event()

    def bodies(self, to: str | None = None) -> list[str]:
        """The bodies of the messages created (for a recipient), in order."""
        return [
            r.params["Body"]
            for r in self.requests
            if r.ok and "Body" in r.params and to in (None, r.params.get("To"))
        ]

    def fail(self, code: int, status: int = 400, to: str | None = None, times: int = 1) -> None:
        """Answer the next sends (to someone) with a Twilio error."""
        self.errors.append(TwilioError(status, code, to, times))

    async def _create(self, request: Request) -> JSONResponse:
        """Create a message, or fail as told."""
        form = await request.form()
        params = {k: str(v) for k, v in form.multi_items()}
        user, _, password = (
            base64.b64decode(request.headers.get("authorization", "Basic ").split(" ", 1)[1] or b"")
            .decode()
            .partition(":")
        )
        sent = Sent(request.path_params["account"], (user, password), params)
        self.requests.append(sent)
        self.arrived.set()
        for error in self.errors:
            if error.times > 0 and error.to in (None, params.get("To")):
                error.times -= 1
                sent.ok = False
                return JSONResponse(
                    {
                        "code": error.code,
                        "message": f"error {error.code}",
                        "more_info": "",
                        "status": error.status,
                    },
                    status_code=error.status,
                )
        sid = f"SM{next(self._sids):032x}"
        return JSONResponse(
            {
                "sid": sid,
                "account_sid": request.path_params["account"],
                "status": "queued",
                "to": params.get("To"),
                "from": params.get("From"),
                "body": params.get("Body", ""),
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{request.path_params['account']}/Messages/{sid}.json",
            },
            status_code=201,
        )
