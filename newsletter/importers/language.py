"""Language identification of page text (py3langid, restricted to the languages we serve)."""

from __future__ import annotations

from collections.abc import Iterable

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# The 24 official EU languages, plus languages of the readers cities serve.
CANDIDATE_LANGUAGES = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it",
    "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "ar", "uk", "ru", "tr",
)
MIN_CONFIDENCE = 0.8
MIN_LETTERS = 12
SAMPLE_CHARACTERS = 2000
"""Detection reads this much of a text: plenty to tell, and the cost stays flat."""


class LanguageDetector:
    """Tells the language of a text; load once per run (the model takes ~0.5 s)."""

    def __init__(self, languages: Iterable[str] = CANDIDATE_LANGUAGES) -> None:
        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        known = set(self._identifier.nb_classes)
        self._identifier.set_languages([code for code in languages if code in known])

    def __call__(self, text: str) -> str | None:
        """The language code, or None when the text is too short or too mixed to tell."""
        sample = text[:SAMPLE_CHARACTERS]
        if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
            return None
        language, confidence = self._identifier.classify(sample)
        return str(language) if confidence >= MIN_CONFIDENCE else None
