"""Whether generated text has learned the shape of English prose — words of letters
between spaces — by statistics that hold for any model trained on the corpus whatever
its exact weights (so a test does not depend on one machine's rounding, which decides
where a chaotic training run ends up): spaces between 8% and 45% of the characters
(prose has about 18%; a uniform guess over Moby-Dick's 75 characters 1.3%), at least
30 words per 300 characters, at least 80% of them alphabetic once punctuation is
stripped (a uniform guess: about 25%), with a mean length of 1.5 to 8 letters. Prints
the statistics; exits 1 naming the first that fails.

usage: english_like.py FILE
"""
import string
import sys

text = open(sys.argv[1], encoding="utf-8").read()
chars = len(text)
spaces = text.count(" ") / chars
words = [w.strip(string.punctuation + "\"'“”‘’") for w in text.split()]
words = [w for w in words if w]
alphabetic = [w for w in words if w.isalpha()]
share = len(alphabetic) / max(1, len(words))
mean = sum(map(len, alphabetic)) / max(1, len(alphabetic))
print(f"{chars} chars, spaces {spaces:.3f}, {len(words)} words, alphabetic {share:.3f}, mean length {mean:.2f}")
for ok, what in [(0.08 <= spaces <= 0.45, "spaces"), (len(words) >= 30 * chars / 300, "words"),
                 (share >= 0.80, "alphabetic words"), (1.5 <= mean <= 8, "mean word length")]:
    if not ok:
        print(f"not English-like: {what}")
        sys.exit(1)
