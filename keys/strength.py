"""How hard a configured secret is to guess: zxcvbn's estimate, with the words of our own deployment added.

One rule for every secret a service is started with (the issuer's key passphrase, the verifier's secret key):
the number of guesses an attacker needs, as estimated by zxcvbn (a port of Dropbox's estimator, which knows
common passwords, English words, names, keyboard patterns, repeats, sequences and dates), must reach a
bound chosen for how the secret is attacked. zxcvbn's dictionaries are English, so the French and
Arabic-transliterated words of Moroccan passwords (``motdepasse``, ``maroc``, ``bac``…) are given to it as
user inputs. Nothing here logs or returns the secret itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class GuessBound:
    """The guesses a secret must need, and the attack rate that bound was chosen for."""

    min_guesses: int
    #: How fast the attacker tests guesses (only words the crack time in refusals).
    guesses_per_second: float

    def describe(self) -> str:
        """The bound in words, for an error's ``expected``."""
        return f"at least 10^{math.log10(self.min_guesses):.0f} guesses"


#: For a passphrase stretched before use (the key passphrase: PBKDF2 in the encrypted PKCS#8 files). An
#: attacker holding a key file tests about 10^6 guesses per second on a GPU rig, so 10^14 guesses is about
#: three years of it. zxcvbn's top score (4) starts at only 10^10 guesses: under three hours at that rate.
STRETCHED_PASSPHRASE: Final = GuessBound(min_guesses=10**14, guesses_per_second=1e6)
#: For a secret used directly as an HMAC key (the verifier's secret key): whoever reads a log pseudonym can
#: test about 10^10 keys per second on one GPU, so 10^20 guesses is about three centuries of it.
HMAC_KEY: Final = GuessBound(min_guesses=10**20, guesses_per_second=1e10)

#: How to make a secret that passes either bound (44 random base64 characters, 256 bits).
HOW_TO_MAKE: Final = "a long random passphrase, e.g. the output of `openssl rand -base64 32`"

#: zxcvbn refuses longer input; a prefix is judged instead (its guesses are a lower bound of the whole).
_MAX_JUDGED_CHARS: Final = 72

#: Words of Moroccan passwords that zxcvbn's English dictionaries lack, plus the defaults of examples and
#: tutorials, most common first (zxcvbn ranks a user input by its position).
LOCAL_WORDS: Final = (
    "motdepasse",
    "mot de passe",
    "changeme",
    "password",
    "passphrase",
    "secret",
    "tawtiq",
    "maroc",
    "morocco",
    "marocain",
    "bac",
    "baccalaureat",
    "bachelier",
    "diplome",
    "ministere",
    "ministre",
    "education",
    "nationale",
    "examen",
    "lycee",
    "ecole",
    "universite",
    "etudiant",
    "bonjour",
    "salut",
    "soleil",
    "amour",
    "azerty",
    "salam",
    "habibi",
    "allah",
    "bismillah",
    "inchallah",
    "mohammed",
    "mohamed",
    "ahmed",
    "fatima",
    "khadija",
    "youssef",
    "hassan",
    "rabat",
    "casablanca",
    "casa",
    "marrakech",
    "fes",
    "tanger",
    "agadir",
    "meknes",
    "oujda",
    "atlas",
    "sahara",
    "wydad",
    "raja",
    "dima",
    "admin",
    "default",
    "example",
    "test",
    "توثيق",
    "المغرب",
    "كلمة السر",
)


@dataclass(frozen=True)
class Weakness:
    """Why a secret was judged too easy to guess (never the secret itself)."""

    #: zxcvbn's estimate of the guesses needed, as a power of ten.
    guesses_log10: float
    #: How long those guesses take at the attack rate the bound was chosen for, in words ("3 hours").
    crack_time: str
    #: zxcvbn's warning about the pattern it found ("Repeats like "aaa" are easy to guess."), or "".
    warning: str

    def found(self) -> str:
        """What was found, for an error's ``found``: the estimate, the time to crack it, the pattern seen."""
        text = f"an estimated 10^{self.guesses_log10:.1f} guesses, crackable in {self.crack_time}"
        return f"{text} ({self.warning.rstrip('.')})" if self.warning else text


def estimate_weakness(secret: str, *, bound: GuessBound) -> Weakness | None:
    """Return why ``secret`` needs fewer guesses than ``bound`` asks, or ``None`` when it needs enough."""
    # Imported here: zxcvbn builds its dictionaries on import (~40 ms), which the wallet's commands, importing
    # ``keys`` for the key history, never need.
    from zxcvbn import zxcvbn
    from zxcvbn.time_estimates import display_time

    result = zxcvbn(secret[:_MAX_JUDGED_CHARS], user_inputs=list(LOCAL_WORDS))
    guesses = float(result["guesses"])
    if guesses >= bound.min_guesses:
        return None
    return Weakness(
        guesses_log10=math.log10(max(guesses, 1.0)),
        crack_time=str(display_time(guesses / bound.guesses_per_second)),
        warning=str(result["feedback"]["warning"] or ""),
    )


def guessable_secret_problem(secret: str, *, variable: str, bound: GuessBound) -> str | None:
    """A settings validator's refusal when ``secret`` (the value of ``variable``) needs too few guesses, else ``None``.

    The text names the variable, what the estimate found and how to make a good value; never the secret.
    """
    weakness = estimate_weakness(secret, bound=bound)
    if weakness is None:
        return None
    return f"{variable} is too easy to guess: found {weakness.found()}; expected {bound.describe()}: {HOW_TO_MAKE}"
