/* What the parts of ml_registry share; not for programs.
 *
 *   ml_registry.c          choosing the directory, opening it, the lock and
 *                          the repairs a writer makes under it
 *   ml_registry_file.c     paths, reading a file, replacing one durably
 *   ml_registry_object.c   ids and objects: put, get, has, path, resolve
 *   ml_registry_stage.c    stage names, a stage's state as JSON (and the
 *                          libjq helpers registry.json and verify use too),
 *                          stage files, reading stages
 *   ml_registry_history.c  scanning the history, appending events
 *   ml_registry_verify.c   ml_registry_verify
 *
 * Everything here is used by more than one of them; what one part alone
 * uses stays static in it. */
#ifndef ML_REGISTRY_IMPL_H
#define ML_REGISTRY_IMPL_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include <jv.h>

#include "ml_registry.h"

struct ml_rec;

#define HISTORY "history.ndjson"
/* Every path here is the directory plus at most this much: the longest is
 * "/objects/.tmp." + 64 hex digits + ".XXXXXX". */
#define PATH_TAIL 128
#define PATH_ROOM (PATH_MAX + PATH_TAIL)
/* A JSON integer libjq's doubles still hold exactly. */
#define SEQ_MAX 9007199254740992.0

/* Every part reads it: the directory for paths and messages, the lock and
 * the last seq for writers. */
struct ml_registry {
	char *dir;		/* as given: messages name it so */
	char *abs;
	mode_t file_mode;	/* 0666 less the umask, for stage files */
	int lock_fd;		/* -1 unless locked */
	uint64_t last_seq;	/* the history's last event, known under the lock */
	struct ml_buf last_event;	/* the line the last commit wrote */
	int has_last_event;
};

/* ---- messages and the lock (ml_registry.c): every error names the
 * registry ---- */

/* Fills err with "registry DIR: <text>"; returns -1. */
__attribute__((format(printf, 4, 5)))
int ml_registry_fail(const struct ml_registry *reg, struct ml_err *err, enum ml_err_kind kind,
		     const char *fmt, ...);
/* The same with ": strerror(errnum)" after it (ML_ERR_IO). */
__attribute__((format(printf, 4, 5)))
int ml_registry_fail_sys(const struct ml_registry *reg, struct ml_err *err, int errnum,
			 const char *fmt, ...);
/* Refuses, with ML_ERR_USAGE, what only a writer holding the lock may do:
 * storing an object, writing an event. */
int ml_registry_need_lock(const struct ml_registry *reg, const char *what, struct ml_err *err);

/* ---- files (ml_registry_file.c) ---- */

/* reg's directory, then sub and name, each when not NULL. */
void ml_registry_path(const struct ml_registry *reg, char out[PATH_ROOM], const char *sub,
		      const char *name);
/* Whether name is a temporary file's: what a writer that died leaves, which
 * the lock removes and opening and verify pass over. */
int ml_registry_is_temp_name(const char *name);
/* Writes all of data to fd; 0, or -1 with errno. */
int ml_registry_write_all(int fd, const void *data, size_t len);
/* Reads the file at path into out (replacing it); 0, 1 when it does not
 * exist, -1 with errno. */
int ml_registry_read_file(const char *path, struct ml_buf *out);
/* Makes a rename or a new name in dir durable; 0, or -1 with errno. */
int ml_registry_fsync_dir(const char *dir);
/* Replaces sub/name by data through a temporary file, so that a crash
 * leaves the old file or the new one; 0, or -1 with err (more at the
 * definition: what dir_sync_required is for). */
int ml_registry_replace_file(struct ml_registry *reg, const char *sub, const char *name,
			     const void *data, size_t len, mode_t mode, int dir_sync_required,
			     struct ml_err *err);

/* ---- ids and objects (ml_registry_object.c) ---- */

/* Fills err (ML_ERR_USAGE) for a malformed id; returns -1. */
int ml_registry_bad_id(struct ml_err *err, const char *id);
/* Whether name is an object's file name: 64 lowercase hex digits. */
int ml_registry_object_name_valid(const char *name);
/* The id of objects/NAME, NAME being 64 hex digits. */
void ml_registry_id_of_object(char id[ML_SHA256_ID_SIZE], const char *name);
/* Hashes object id into got, keeping its bytes in out when out is not
 * NULL; 0, 1 when it is missing, -1 with err.  Verify hashes every object
 * with it, as every read does. */
int ml_registry_hash_object(struct ml_registry *reg, const char *id, char got[ML_SHA256_ID_SIZE],
			    struct ml_buf *out, struct ml_err *err);

/* ---- the JSON of registry.json, stage files and events, read with libjq
 * (ml_registry_stage.c): opening checks registry.json, verify reads every
 * history line with them ---- */

/* Parses text as one JSON value; invalid with why filled when it is not. */
jv ml_registry_parse_json(const char *text, size_t len, char *why, size_t size);
/* Field key of object o (o is kept); invalid when absent. */
jv ml_registry_jv_get(jv o, const char *key);
/* Whether v (kept) is a whole number in [min, SEQ_MAX]. */
int ml_registry_whole_number(jv v, double min, double *out);
/* Checks a format/version pair: 0, -1 (another format) or -2 (a version
 * this program does not read) with why. */
int ml_registry_check_format(jv doc, const char *format, char *why, size_t size);

/* ---- stages (ml_registry_stage.c) ---- */

/* Fills err (ML_ERR_USAGE) for an invalid stage name; returns -1. */
int ml_registry_bad_stage_name(struct ml_err *err, const char *name);
/* Parses a stage's state (a stage file's line, or an event's "state") into
 * st; 0, or -1 with why. */
int ml_registry_parse_stage(const char *text, size_t len, struct ml_stage *st, char *why,
			    size_t size);
/* Parses a stage file's text, one line with its newline, into st; 0, or
 * -1 with why.  The lock's repairs and verify judge stage files with it. */
int ml_registry_parse_stage_file(const struct ml_buf *text, const char *name,
				 struct ml_stage *st, char *why, size_t size);

/* ---- scanning the history (ml_registry_history.c): reading a stage, the
 * lock's repairs and verify all read the whole history ---- */

typedef int (*ml_registry_line_fn)(void *ctx, size_t lineno, const char *line, size_t len,
				   struct ml_err *err);

/* Calls fn for every whole line of the history, oldest first; a last line
 * without its newline (an append that died, or one still being written)
 * is not an event and is skipped.  A missing history has no lines.  0, 1
 * when fn stopped, -1 with err. */
int ml_registry_each_line(struct ml_registry *reg, ml_registry_line_fn fn, void *ctx,
			  size_t *nlines, struct ml_err *err);

/* What one history line says: its seq, and the state it gives a stage. */
struct ml_registry_event_view {
	uint64_t seq;
	const char *state;	/* the raw "state" value, or NULL */
	size_t state_len;
	char stage[ML_STAGE_NAME_MAX + 1];	/* the state's stage */
	uint64_t state_seq;
};

/* The scanner's state for reading history lines, reused line after line. */
struct ml_registry_reader {
	struct ml_rec *event, *state;
	struct ml_buf tmp;
};

int ml_registry_reader_init(struct ml_registry_reader *lr);
void ml_registry_reader_free(struct ml_registry_reader *lr);
/* Indexes one history line (the fast scanner: history scans read every
 * line); 0, or -1 with err saying what is wrong with it. */
int ml_registry_view_event(struct ml_registry_reader *lr, const char *line, size_t len,
			   struct ml_registry_event_view *v, struct ml_err *err);

/* The last state the history gives each stage (and the one before it,
 * which a stage file may still hold when its writer died between the
 * steps), in a hash table by name so one scan stays linear. */
struct ml_registry_slot {
	char name[ML_STAGE_NAME_MAX + 1];
	uint64_t seq;
	size_t line;
	struct ml_buf state, before;
	int has_before;
	struct ml_buf file;	/* verify: the stage file's text */
	int has_file;
};

struct ml_registry_map {
	struct ml_registry_slot **slot;
	size_t cap, n;
};

/* The slot of name; a new one when add is set (NULL: memory is out). */
struct ml_registry_slot *ml_registry_map_get(struct ml_registry_map *m, const char *name,
					     int add);
void ml_registry_map_free(struct ml_registry_map *m);
/* Records state (of the history's line lineno) as the stage's latest. */
int ml_registry_map_note(struct ml_registry_map *m, const struct ml_registry_event_view *v,
			 size_t lineno);

/* One scan of the history: the states it gives the stages (only's, when
 * set), and its last seq, which the lock keeps for the next commit. */
struct ml_registry_collect {
	struct ml_registry *reg;
	struct ml_registry_reader lr;
	struct ml_registry_map map;
	const char *only;	/* one stage's states, or NULL for all */
	uint64_t last_seq;
	size_t lines;
};

/* Scans the whole history into c (free it with ml_registry_collect_free,
 * whatever this returns): a line that is not an event is an error. */
int ml_registry_collect(struct ml_registry *reg, struct ml_registry_collect *c, const char *only,
			struct ml_err *err);
void ml_registry_collect_free(struct ml_registry_collect *c);

#endif
