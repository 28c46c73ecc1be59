"""Finding 4: Tack's own packing beside a multi-pack-index. After `git maintenance run
--task=incremental-repack` and `git multi-pack-index write --bitmap`, enough Tack writes to
make it fold its packs, then `tack gc` (packs past any grace period): `git fsck` and
`git multi-pack-index verify` clean, `git count-objects -v` reports no garbage, and
`git clone --no-local` of the repository works."""

from __future__ import annotations

import re

from conftest import Board, age_packs, size


def garbage(board: Board) -> dict:
    out = board.git("count-objects", "-v")
    values = dict(re.findall(r"^([a-z-]+): (\d+)$", out, re.M))
    return {k: int(values.get(k, 0)) for k in ("garbage", "size-garbage")}


def assert_clones(board: Board):
    clone = board.base / "clone"
    result = board.run(["git", "clone", "-q", "--no-local", "--bare", str(board.dir), str(clone)], check=False)
    assert result.returncode == 0, "git clone --no-local failed:\n" + result.stderr
    fsck = board.run(["git", "fsck", "--strict", "--full", "--no-progress"], cwd=clone, check=False)
    assert fsck.returncode == 0, "git fsck of the clone failed:\n" + fsck.stdout + fsck.stderr
    assert board.git("rev-parse", "main", cwd=clone) == board.git("rev-parse", "main")


def test_tack_packing_beside_a_multi_pack_index(board: Board):
    seeds = [board.add() for _ in range(3)]
    for i in range(6):
        board.note(seeds[i % 3])
    board.git("maintenance", "run", "--task=incremental-repack")
    board.git("multi-pack-index", "write", "--bitmap")
    midx = board.packdir() / "multi-pack-index"
    assert midx.exists(), "setup: git wrote no multi-pack-index"
    before = board.capture()
    # Past 16 packs Tack folds the small ones (docs/reliability.md, Packs).
    for i in range(size(24, 60)):
        if i % 4 == 0:
            board.add()
        else:
            board.note(seeds[i % 3])
    problems = []
    fsck = board.run(["git", "fsck", "--strict", "--full", "--no-progress"], check=False)
    if fsck.returncode != 0:
        problems.append("after Tack's folds, git fsck failed:\n" + (fsck.stdout + fsck.stderr)[:2000])
    if midx.exists():
        verify = board.run(["git", "multi-pack-index", "verify"], check=False)
        if verify.returncode != 0:
            problems.append("after Tack's folds, git multi-pack-index verify failed:\n" + verify.stderr[:2000])
    assert not problems, "\n".join(problems)
    assert garbage(board) == {"garbage": 0, "size-garbage": 0}, board.git("count-objects", "-v")
    age_packs(board)
    board.tack("gc")
    board.note(seeds[0])
    assert garbage(board) == {"garbage": 0, "size-garbage": 0}, board.git("count-objects", "-v")
    assert_clones(board)
    board.assert_sound(before)
