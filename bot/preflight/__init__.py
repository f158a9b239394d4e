"""The Discord side of the preflight check, one set of findings (``bot.domain.preflight``) for two callers:

- ``python -m bot check`` (``cli.run_check``) connects with the token as a plain client, reads the
  application's flags and the server from the gateway's cache, and builds the bot's command tree without
  starting the bot;
- /setup's health section (``running.running_report``) reads the running bot's own cache and the problems it
  met while running.

Both gather their facts with ``cache``.
"""
