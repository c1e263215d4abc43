"""Modal dialogs with typed results (pushed with a callback, or awaited from a worker)."""

from screens.dialogs.confirm_cancel import CancelChoice, ConfirmCancel
from screens.dialogs.file_picker import FilePicker
from screens.dialogs.help import HelpDialog
from screens.dialogs.save_answers import SaveAnswers
from screens.dialogs.store_password import StorePassword

__all__ = ["CancelChoice", "ConfirmCancel", "FilePicker", "HelpDialog", "SaveAnswers", "StorePassword"]
