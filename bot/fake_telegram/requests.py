"""Reading what a client sends: the query string and a JSON, form or multipart body, as one
dict of parameters; uploaded files arrive as UploadedFile values."""

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, ClientResponse, MultipartReader, hdrs, web

from bot.fake_telegram.errors import TelegramError, bad_request
from bot.fake_telegram.objects import Json

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # what bots may upload


@dataclass(frozen=True)
class UploadedFile:
    """A file sent as a part of a multipart request."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)


async def request_params(request: web.Request) -> Json:
    """Query string and body (form, JSON or multipart) as one dict of parameters."""
    params: Json = dict(request.query)
    try:
        if request.content_type.startswith("multipart/"):
            params.update(await _multipart_params(await request.multipart()))
        elif request.body_exists:
            params.update(_body_params(request.content_type, await request.read()))
    except web.HTTPRequestEntityTooLarge as error:
        raise TelegramError(413, "Request Entity Too Large") from error
    return params


async def response_params(response: ClientResponse) -> Json:
    """The method call a webhook may put in its response, read like a request."""
    if response.content_type.startswith("multipart/"):
        return await _multipart_params(MultipartReader(response.headers, response.content))
    return _body_params(response.content_type, await response.read())


async def _multipart_params(reader: MultipartReader) -> Json:
    params: Json = {}
    size = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue  # nested or nameless parts carry no parameter
        data = await part.read(decode=True)
        size += len(data)
        if size > MAX_UPLOAD_BYTES:
            raise TelegramError(413, "Request Entity Too Large")
        if part.filename is None:
            params[part.name] = _utf8(data)
        else:
            content_type = part.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
            params[part.name] = UploadedFile(part.filename, content_type, data)
    return params


def _body_params(content_type: str, raw: bytes) -> Json:
    if content_type == "application/json":
        try:
            params = json.loads(raw or b"{}")
        except ValueError as error:
            raise bad_request("can't parse JSON request body") from error
        if not isinstance(params, dict):
            raise bad_request("can't parse JSON request body")
        return params
    if content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(_utf8(raw), keep_blank_values=True))
    return {}


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise bad_request("strings must be encoded in UTF-8") from error
