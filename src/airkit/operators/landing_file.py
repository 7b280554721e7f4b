"""Write a small text file into the landing folder: the custom-operator lesson's example."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from airflow.providers.common.compat.sdk import AirflowFailException, BaseOperator

from airkit.landing import data_dir, write_atomic

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class WriteLandingFileOperator(BaseOperator):
    """Write ``content`` to ``$AIRKIT_DATA_DIR/<relpath>`` atomically and return the path.

    The shape every airkit operator follows: keyword-only arguments, ``template_fields``
    named exactly after them, and nothing done before ``execute`` (the landing folder is
    looked up on the worker, at run time). A rerun overwrites the file, never appends.

    :param relpath: path below the landing folder, e.g. ``reports/{{ ds }}.txt``. Absolute
        paths and ``..`` are refused: a task must not write outside the shared folder.
        (templated)
    :param content: text to write, UTF-8. (templated)
    """

    template_fields: Sequence[str] = ("relpath", "content")
    ui_color = "#e8f6f3"

    def __init__(self, *, relpath: str, content: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.relpath = relpath
        self.content = content

    def execute(self, context: Context) -> str:
        relative = Path(self.relpath)
        if not self.relpath or relative.is_absolute() or ".." in relative.parts:
            # Bad input will be just as bad on the next try: fail without retrying.
            raise AirflowFailException(
                f"relpath must be a relative path inside the landing folder, got {self.relpath!r}"
            )
        target = Path(data_dir()) / relative
        write_atomic(target, self.content.encode("utf-8"))
        self.log.info("wrote %d characters to %s", len(self.content), target)
        return str(target)
