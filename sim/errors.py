"""The one base of every error a user can cause (a bad parameter, file, folder, address): the CLI
prints its message in one line and exits with status 2, the browser shows it on the page."""


class UserError(Exception):
    """Bad input from the user; the message names what is wrong and how to fix it."""
