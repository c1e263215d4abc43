"""Answers: the models (one per step), secret references and the position-aware loader."""

from mabs_wizard.answers.models import SECTIONS, Answers
from mabs_wizard.answers.loader import load_answers, load_partial

__all__ = ["SECTIONS", "Answers", "load_answers", "load_partial"]
