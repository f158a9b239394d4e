"""Files: reading them (files.info, the private download URL) and the current upload flow
(docs.slack.dev/messaging/working-with-files "Uploading files"; method pages
files.getUploadURLExternal and files.completeUploadExternal; ``files.upload`` is retired):

1. files.getUploadURLExternal(filename, length) -> ``upload_url``, ``file_id``;
2. POST the bytes to ``upload_url`` (raw body or a multipart ``file`` field) -> HTTP 200;
3. files.completeUploadExternal(files=[{"id", "title"}], channel_id | channels, initial_comment, thread_ts)
   -> the file is shared: a message carrying it appears in the conversation.

Downloading (working-with-files "Authentication"/"Downloading files"): ``url_private``/``url_private_download``
need ``Authorization: Bearer`` with a token that has ``files:read``. Without one Slack does not answer 401: it
sends its sign-in page (HTML, HTTP 200), which is what a bot that forgot the header gets here too.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from ..core import Call, FakeCore, SlackError, Upload, web_method
from ..world import JSON, File, Message
from .chat import store


@web_method("files.getUploadURLExternal", scopes=("files:write",))
async def get_upload_url(call: Call) -> JSON:
    # "Errors": missing_argument when filename or length is missing.
    filename = call.arg("filename")
    length = call.integer("length", -1)
    if not filename or length < 0:
        raise SlackError("missing_argument")
    file = File(
        id=call.world.new_id("F"), filename=filename, length=length, user=call.world.bot.id, alt_txt=call.arg("alt_txt")
    )
    call.world.files[file.id] = file
    ticket = secrets.token_urlsafe(24)
    call.core.uploads[ticket] = Upload(ticket, file.id, length)
    return {"ok": True, "upload_url": f"{call.core.base_url}/upload/v1/{ticket}", "file_id": file.id}


async def receive_upload(core: FakeCore, request: web.Request) -> web.Response:
    """Step 2: the bytes. An unknown ticket is 404; a second POST to the same URL too (single use)."""
    upload = core.uploads.pop(request.match_info["ticket"], None)
    if upload is None:
        return web.Response(status=404, text="not found")
    if request.content_type == "multipart/form-data":
        form = await request.post()
        part = form.get("file") or form.get("filename")
        data = part.file.read() if isinstance(part, web.FileField) else str(part or "").encode()
    else:
        data = await request.read()
    upload.received = len(data)
    file = core.world.files[upload.file_id]
    file.data = data
    core.notify()
    return web.Response(status=200, text=f"OK - {len(data)}")


@web_method("files.info", scopes=("files:read",))
async def files_info(call: Call) -> JSON:
    """docs.slack.dev/reference/methods/files.info: ``file_not_found`` for an unknown id."""
    file = call.world.files.get(call.arg("file") or "")
    if file is None or not file.completed:
        raise SlackError("file_not_found")
    return {
        "ok": True,
        "file": file.to_dict(call.world.file_host),
        "comments": [],
        "response_metadata": {"next_cursor": ""},
    }


SIGN_IN_PAGE = "<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>"


async def download(core: FakeCore, request: web.Request) -> web.Response:
    file = core.world.files.get(request.match_info["file_id"])
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    allowed = token == core.bot_token and not core.revoked and "files:read" in core.bot_scopes
    if not allowed:
        return web.Response(status=200, text=SIGN_IN_PAGE, content_type="text/html")
    if file is None or file.data is None:
        return web.Response(status=404, text="file not found")
    return web.Response(body=file.data, content_type="application/octet-stream")


@web_method("files.completeUploadExternal", scopes=("files:write",))
async def complete_upload(call: Call) -> JSON:
    listed = call.json_arg("files")
    if not isinstance(listed, list) or not listed:
        raise SlackError(
            "invalid_arguments", response_metadata={"messages": ["[ERROR] files must be a non-empty array"]}
        )
    files: list[File] = []
    for item in listed:
        file = call.world.files.get(str(item.get("id", ""))) if isinstance(item, dict) else None
        if file is None or file.data is None or file.completed:
            # An id never uploaded (or already completed) is not found.
            raise SlackError("file_not_found")
        if item.get("title"):
            file.title = str(item["title"])
        files.append(file)
    targets = [c for c in (call.arg("channels") or "").split(",") if c]
    if call.arg("channel_id"):
        targets.append(call.arg("channel_id") or "")
    channels = []
    for ref in targets:
        channel = call.world.channels.get(ref)
        if channel is None:
            raise SlackError("channel_not_found")
        if call.world.bot.id not in channel.members:
            raise SlackError("not_in_channel")
        channels.append(channel)
    thread_ts = call.arg("thread_ts")
    for file in files:
        file.completed = True
    for channel in channels:
        for file in files:
            file.shares.append(channel.id)
        message = Message(
            channel=channel.id,
            ts=call.world.new_ts(),
            user=call.world.bot.id,
            text=call.arg("initial_comment") or "",
            thread_ts=thread_ts,
            files=[f.id for f in files],
            bot_id=call.world.bot.bot_id,
            subtype=None,
        )
        store(call.core, message)
    return {"ok": True, "files": [{"id": f.id, "title": f.title or f.filename} for f in files]}
