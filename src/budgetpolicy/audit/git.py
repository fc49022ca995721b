"""Policy versions from git history: ``policies/acme.toml@v1.2`` names a file at any revision.

Audits and impact diffs compare the policy in force then with the policy
now; both usually live in the governance team's repository, so any git
revision (tag, branch, commit, ``HEAD~3``) can be named. git is run as a
subprocess with list arguments (never through a shell), from the directory
of the named file, so the file may sit in any repository on disk. The
resolved commit is returned and recorded as the policy's ``revision``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from budgetpolicy.errors import Location, PolicyLoadError, did_you_mean
from budgetpolicy.model import Policy
from budgetpolicy.policy.load import load_policy, load_policy_text


def split_policy_ref(spec: str) -> tuple[str, str | None]:
    """Split ``path@REV`` into (path, rev); a plain path gives (path, None).

    A file that exists under the literal name wins, even when it contains
    '@'. Otherwise the first '@' whose left part exists as a file splits,
    else the first '@' (so revisions such as ``HEAD@{1}`` keep theirs).
    """
    if "@" not in spec or Path(spec).is_file():
        return spec, None
    cuts = [i for i, ch in enumerate(spec) if ch == "@" and i > 0]
    if not cuts:
        raise PolicyLoadError(f"'{spec}' names no file before '@'", Location(file=spec),
                              hint="write path@REV, for example policies/acme-2026.toml@v1.0", code="BP830")
    cut = next((i for i in cuts if Path(spec[:i]).is_file()), cuts[0])
    path, rev = spec[:cut], spec[cut + 1:]
    if not rev:
        raise PolicyLoadError(f"'{spec}' has no revision after '@'", Location(file=path),
                              hint="name a tag, branch or commit, e.g. path@HEAD~1", code="BP830")
    return path, rev


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise PolicyLoadError("git is not installed, so a policy cannot be read from history",
                              Location(file=str(cwd)), hint="install git or name a plain policy file",
                              code="BP831") from None


def _existing_dir(path: Path) -> Path:
    """The file's directory, or its nearest existing ancestor (the file may be gone from the worktree)."""
    directory = path.parent if str(path.parent) else Path(".")
    while not directory.is_dir() and directory != directory.parent:
        directory = directory.parent
    return directory


def read_policy_revision(spec: str) -> tuple[str, str, str]:
    """Read ``path@REV`` from git: returns (text, resolved commit sha, repository-relative path)."""
    path_text, rev = split_policy_ref(spec)
    if rev is None:
        raise PolicyLoadError(f"'{spec}' names no revision", Location(file=spec),
                              hint="write path@REV, for example policies/acme-2026.toml@v1.0", code="BP830")
    path = Path(path_text)
    where = Location(file=spec)
    cwd = _existing_dir(path)
    top = _git(cwd, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise PolicyLoadError(f"'{cwd}' is not inside a git repository, so '@{rev}' cannot be read",
                              where, hint="name a plain file, or a file inside a git working tree",
                              code="BP832")
    root = Path(top.stdout.decode("utf-8", "replace").strip())
    commit = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if commit.returncode != 0:
        raise PolicyLoadError(f"unknown revision '{rev}' in repository {root}", where,
                              hint="list revisions with 'git tag' or 'git log --oneline'", code="BP833")
    sha = commit.stdout.decode("ascii").strip()
    relative = _repo_relative(path, cwd, root)
    blob = _git(root, "cat-file", "blob", f"{sha}:{relative}")
    if blob.returncode != 0:
        listing = _git(root, "ls-tree", "-r", "--name-only", sha)
        names = listing.stdout.decode("utf-8", "replace").splitlines() if listing.returncode == 0 else []
        hint = did_you_mean(relative, names) or f"see 'git ls-tree -r --name-only {rev}'"
        raise PolicyLoadError(f"'{relative}' does not exist at revision '{rev}' ({sha[:12]})", where,
                              hint=hint, code="BP834")
    try:
        text = blob.stdout.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyLoadError(f"'{relative}' at '{rev}' is not valid UTF-8 (byte {exc.start})", where,
                              hint="policy files must be saved as UTF-8", code="BP102") from None
    return text.removeprefix("\ufeff"), sha, relative


def _repo_relative(path: Path, cwd: Path, root: Path) -> str:
    # cwd is an existing ancestor of path; resolve only it (symlinks such as /tmp on macOS) and
    # append the rest, which may no longer exist in the working tree.
    absolute = cwd.resolve() / os.path.relpath(os.path.abspath(path), os.path.abspath(cwd))
    try:
        return absolute.relative_to(root.resolve()).as_posix()
    except ValueError:
        raise PolicyLoadError(f"'{path}' is outside the repository {root}", Location(file=str(path)),
                              code="BP832", hint="name a file inside the repository") from None


def load_policy_ref(spec: str) -> Policy:
    """Load a policy from a plain file or from ``path@REV`` (recording the resolved commit)."""
    path, rev = split_policy_ref(spec)
    if rev is None:
        return load_policy(path)
    text, commit, _ = read_policy_revision(spec)
    return load_policy_text(text, f"{path}@{rev}", revision=commit)
