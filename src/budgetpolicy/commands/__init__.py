"""One module per sub-command: ``configure(parser)`` adds arguments, ``run(args) -> int`` does the work.

Modules here stay import-light (heavy imports go inside ``run``) so that
``budgetpolicy --help`` starts fast.
"""
