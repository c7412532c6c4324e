"""The commands, one module each, over shared option definitions.

- ``options``: every command-line option, declared once (``Annotated`` aliases); a new flag goes there.
- ``common``: what commands share at run time (errors to exit codes, the console, ``emit`` of a report,
  config-file defaults).
- ``train``, ``infer``, ``lifecycle``, ``demo``, ``validate``, ``llm_configs``, ``hardware``, ``regions``,
  ``check``: one command (or command group) each, as plain functions; :mod:`wattprint.cli` registers them on
  the Typer app. A new command is a module here plus one line in ``wattprint.cli``.

Command modules import only typer, the standard library and :mod:`wattprint.vocab` at load time, so that
``wattprint --help`` stays fast; the core is imported inside each command.
"""
