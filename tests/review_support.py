"""A project for the editor's review: the seed pages, a real (tiny) Argos model for
English to Greek, and Greek in the translation memory for the CoR event.

The model is built offline (`argos_model`), so the tests depend on no installed model.
Its own output is nonsense; what the pages show comes from the memory, stored under
that model's version exactly as `newsletter localise` stores an engine's output:

- the title, the programme, two link titles and body sentences 2 to 8 as machine
  translation (`argos`, `en-el@1.0`);
- body sentence 0 as an editor's sentence (engine `human`);
- everything else (body sentence 1, say) missing until the engine runs.

French and Spanish have no engine, so they stay missing.
"""

from __future__ import annotations

from pathlib import Path

from argos_model import build_argos_package, corpus
from conftest import seed_project

from newsletter.config import Settings
from newsletter.content import item_path, load_item
from newsletter.localise import stage
from newsletter.localise.engines.argos import ArgosEngine, install_package_file
from newsletter.localise.memory import EngineVersion, TranslationMemory
from newsletter.model import localisable_texts

CoR_ID = "online-workshop-for-local-and-regional-authorities-setting-up-a-local"
ARGOS = EngineVersion("argos", "en-el@1.0")
CONFIG = """
[site]
languages = ["en", "el", "fr", "es"]

[translation]
engines = ["argos"]
argos_packages = "{packages}"
"""

TITLE_EL = ("Διαδικτυακό εργαστήριο για τοπικές και περιφερειακές αρχές: κατάρτιση τοπικής "
            "στρατηγικής ένταξης – συμμετοχή και ευθύνη των ενδιαφερόμενων φορέων")
HUMAN_BODY = {0: "Η Ευρωπαϊκή Επιτροπή και η Ευρωπαϊκή Επιτροπή των Περιφερειών έχουν τη "
                 "χαρά να αναφέρουν την επιτυχία της πρώτης εκδήλωσης που διοργανώθηκε στο "
                 "πλαίσιο της νέας τους σύμπραξης για την ένταξη, στο δίκτυο «Πόλεις και "
                 "περιφέρειες για την ένταξη των μεταναστών»:"}
MACHINE_BODY = {
    2: "18 Ιουνίου 2021 10:00 CEST",
    3: "Η εκδήλωση αμοιβαίας μάθησης έφερε κοντά πόλεις και περιφέρειες από όλη την ΕΕ "
       "(κάντε κλικ εδώ για τον κατάλογο των συμμετεχόντων) για να ανταλλάξουν εμπειρίες "
       "και καλές πρακτικές σχετικά με τον σχεδιασμό και την εφαρμογή τοπικών στρατηγικών "
       "ένταξης.",
    4: "Επικεντρώθηκε ειδικά στον τρόπο συμμετοχής των σχετικών φορέων στον σχεδιασμό και "
       "την εφαρμογή αυτών των στρατηγικών.",
    5: "Διαδικτυακό εργαστήριο: 18 Ιουνίου 2021 10:00-12:30 CEST",
    6: "Πρόγραμμα",
    7: "10:00 Έναρξη της εκδήλωσης",
    8: "10:05 Έναρξη και καλωσόρισμα",
}
AGENDA_EL = (
    "Έναρξη της εκδήλωσης",
    "Έναρξη και καλωσόρισμα",
    "Πρώτη συνεδρία: Ποιους βασικούς τομείς πρέπει να καλύπτει μια στρατηγική ένταξης "
    "χωρίς αποκλεισμούς σε τοπικό επίπεδο;",
    "Δεύτερη συνεδρία: Ποιοι βασικοί φορείς πρέπει να συμμετέχουν στην ανάπτυξη και την "
    "εφαρμογή μιας τοπικής στρατηγικής ένταξης;",
    "Διάλειμμα για καφέ",
    "Παράλληλες ομάδες εργασίας",
    "Επιστροφή στην ολομέλεια",
    "Λήξη της εκδήλωσης",
)
LINKS_EL = (
    "Παγκόσμια Ημέρα του Παιδιού: ο ρόλος των τοπικών αρχών στην προστασία και την "
    "ενδυνάμωση των παιδιών μεταναστών και προσφύγων",
    "Ενδυνάμωση περιφερειών και πόλεων στη διακυβέρνηση της ένταξης των μεταναστών",
)


def build_packages(folder: Path) -> Path:
    """A packages folder with the tiny English-to-Greek model installed."""
    archive = build_argos_package(folder / "en_el.argosmodel", "en", "el", corpus(), seed=0)
    packages = folder / "packages"
    install_package_file(archive, packages)
    return packages


def review_project(folder: Path, packages: Path) -> Path:
    """The seed pages imported into `folder`, Greek by the tiny model, Greek in the memory."""
    project = seed_project(folder, CONFIG.format(packages=packages))
    from newsletter.config import load_settings

    store_greek(load_settings(project))
    return project


def store_greek(settings: Settings) -> None:
    """The memory's Greek for the CoR event (see the module's docstring)."""
    assert ArgosEngine(settings.argos_dir).model_version("en", "el") == ARGOS.model_version
    item = load_item(item_path(settings.content_dir, CoR_ID))
    texts = localisable_texts(item)
    body = stage.segment_field("body", texts["body"]).segments
    machine = {item.title: TITLE_EL, **{body[i]: text for i, text in MACHINE_BODY.items()}}
    machine |= {texts[f"event.agenda[{i}]"]: text for i, text in enumerate(AGENDA_EL)}
    machine |= {texts[f"links[{i}].title"]: text for i, text in enumerate(LINKS_EL)}
    memory = TranslationMemory.open(stage.memory_path(settings))
    try:
        memory.store("en", "el", ARGOS, machine)
        memory.store("en", "el", stage.HUMAN, {body[i]: text for i, text in HUMAN_BODY.items()})
    finally:
        memory.close()
