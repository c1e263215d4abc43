"""Modal dialogs with typed results (pushed with a callback, or awaited from a worker)."""

from mabs_wizard.screens.dialogs.confirm_cancel import CancelChoice, ConfirmCancel
from mabs_wizard.screens.dialogs.file_picker import FilePicker
from mabs_wizard.screens.dialogs.help import HelpDialog
from mabs_wizard.screens.dialogs.resume_session import ResumeSession
from mabs_wizard.screens.dialogs.save_answers import SaveAnswers
from mabs_wizard.screens.dialogs.store_password import StorePassword

__all__ = ["CancelChoice", "ConfirmCancel", "FilePicker", "HelpDialog", "ResumeSession", "SaveAnswers", "StorePassword"]
