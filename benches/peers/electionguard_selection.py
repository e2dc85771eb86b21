# One ElectionGuard ballot selection (4096-bit group): encrypt + disjunctive 0/1 proof, and verify.
# Run by benches/peers/run.sh next to saylau's own timing of the same work, so the ratio is
# measured in one run on one machine. Needs `pip install electionguard` (1.4, Python 3.10).
import logging, time, statistics
logging.disable(logging.CRITICAL)
from electionguard.elgamal import elgamal_keypair_random, elgamal_encrypt
from electionguard.chaum_pedersen import make_disjunctive_chaum_pedersen
from electionguard.group import rand_q, rand_range_q, ONE_MOD_Q

kp = elgamal_keypair_random()
q = rand_q()
enc, ver = [], []
for i in range(40):
    t0 = time.perf_counter()
    nonce = rand_range_q(ONE_MOD_Q)
    ct = elgamal_encrypt(1, nonce, kp.public_key)
    proof = make_disjunctive_chaum_pedersen(ct, nonce, kp.public_key, q, rand_q(), 1)
    t1 = time.perf_counter()
    assert proof.is_valid(ct, kp.public_key, q)
    t2 = time.perf_counter()
    enc.append(t1 - t0); ver.append(t2 - t1)
print(f"electionguard selection: encrypt+prove median {statistics.median(enc)*1e3:.2f} ms, verify median {statistics.median(ver)*1e3:.2f} ms")
