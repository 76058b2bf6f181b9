from __future__ import annotations

from ivr.model import Prompt
from ivr.render import literal_texts, render
from ivr.session import Sound, Text


def test_placeholders_are_spoken_and_a_chinese_name_gets_the_mandarin_voice() -> None:
    prompt = Prompt.model_validate({"zh": "{name}，您好", "en": "Hello {name}, about {t:ref}"})
    speech = render(prompt, "en", {"name": "张三丰", "t": "REP-000123"})
    assert speech == (
        Text("Hello", "en"),
        Text("张三丰", "zh"),
        Text("about", "en"),
        Text("R E P, zero zero zero one two three", "en"),
    )
    assert render(prompt, "zh", {}) == (Text("您好", "zh"),)  # a missing value is left out


def test_a_core_sound_for_one_language_and_text_for_the_other() -> None:
    prompt = Prompt.model_validate({"text": {"zh": "再见"}, "sounds": {"en": "vm-goodbye"}})
    assert render(prompt, "en", {}) == (Sound("vm-goodbye"),)
    assert render(prompt, "zh", {}) == (Text("再见", "zh"),)
    assert literal_texts(prompt) == [("再见", "zh")]
