/* history: the editor's history kept in a file across runs. */
#ifndef LOBBY_HISTORY_H
#define LOBBY_HISTORY_H

#include <stddef.h>

#include "editor.h"

/*
 * The file is $XDG_STATE_HOME/lobby/history, or ~/.local/state/lobby/
 * history when XDG_STATE_HOME is unset or not absolute: one line each,
 * oldest first, at most EDITOR_HIST lines, mode 0600 in a 0700 folder.
 */

/*
 * The history file's path into path (size bytes). Returns 0, or -1 when
 * neither XDG_STATE_HOME nor HOME gives one.
 */
int	history_path(char *path, size_t size);

/*
 * Add the lines of the file at path to e's history (a missing file is
 * an empty history). Lines that are not clean UTF-8 text, or too long
 * for the editor, are skipped. Returns 0, or -1 with errno.
 */
int	history_load(struct editor *e, const char *path);

/*
 * Write e's history to path: to a new file beside it, then renamed over
 * it, so a crash never leaves half a history. Creates the folders.
 * Returns 0, or -1 with errno.
 */
int	history_save(const struct editor *e, const char *path);

#endif /* LOBBY_HISTORY_H */
