/* ml_registry: the model registry, a directory that survives a crash at
 * any instant.
 *
 *   DIR/registry.json      {"format":"mlpipe.registry","version":1}
 *   DIR/objects/HEX        bundles and metrics lines, named by the SHA-256
 *                          of their bytes, read-only, verified on every read
 *   DIR/stages/NAME        one JSON line: what the stage holds now and the
 *                          versions a rollback goes back to
 *   DIR/history.ndjson     every event, one line each, append-only
 *   DIR/lock               flock(2)ed by every writer
 *
 * Writing an event is two steps, in this order: the event's line (which
 * carries the stage's new state in full) is appended to the history and
 * fsynced; then the stage's file is replaced by a temporary file renamed
 * over it, the file and the directory fsynced.  A crash between the steps
 * leaves a history one event ahead of the stage file: readers take the
 * newer state from the history, and the next writer rolls the file
 * forward.  A crash inside the append leaves a last line without its
 * newline: readers ignore it and the next writer cuts it off (that event
 * never happened, since its stage file was not yet touched).  Readers take
 * no lock: every file they read is either immutable or replaced whole.
 *
 * Library rules: nothing here prints or exits; errors come back in err,
 * their messages naming the registry directory. */
#ifndef ML_REGISTRY_H
#define ML_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_sha256.h"

#define ML_REGISTRY_FORMAT "mlpipe.registry"
#define ML_REGISTRY_VERSION 1
#define ML_STAGE_FORMAT "mlpipe.stage"
#define ML_EVENT_FORMAT "mlpipe.registry.event"
/* A stage name: 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-'. */
#define ML_STAGE_NAME_MAX 64

struct ml_registry;

/* One version a stage held: the model (a bundle object) and the metrics
 * it was promoted with (a metrics object; "" when none). */
struct ml_stage_entry {
	char model[ML_SHA256_ID_SIZE];
	char metrics[ML_SHA256_ID_SIZE];
};

/* A stage: what it holds now, and the versions before it that a rollback
 * walks back through (prev[nprev - 1] is the most recent). */
struct ml_stage {
	char name[ML_STAGE_NAME_MAX + 1];
	struct ml_stage_entry now;
	uint64_t seq;		/* the history event that made this state */
	char time[32];		/* that event's time, "2026-11-26T09:20:31.123Z" */
	struct ml_stage_entry *prev;
	size_t nprev;
};

/* The directory to use: given when not NULL, else $ML_REGISTRY, else
 * $ML_HOME/registry, else .ml/registry.  malloc'd; NULL when memory is out. */
char *ml_registry_choose_dir(const char *given);

/* Opens the registry at dir.  When create is set, a missing directory is
 * made (and its parent, when that is what is missing: .ml/registry needs
 * no preparation, but nothing deeper is made) and an empty one becomes a
 * registry.  Without create, a missing directory is an error of kind
 * ML_ERR_USAGE ("registry 'DIR' does not exist"; otherwise that kind only
 * says the name itself is empty or too long), and an empty directory
 * opens as an empty registry, changed by nothing but a writer's lock.  A
 * directory that is neither empty nor a registry, or a registry of a newer
 * version, is refused (ML_ERR_DATA).  NULL with err. */
struct ml_registry *ml_registry_open(const char *dir, int create, struct ml_err *err);
void ml_registry_close(struct ml_registry *reg);
/* The directory as opened, and as an absolute path. */
const char *ml_registry_dir(const struct ml_registry *reg);
const char *ml_registry_abs_dir(const struct ml_registry *reg);

/* Whether name is a valid stage name. */
int ml_stage_name_valid(const char *name);
/* Whether id is "sha256:" and 64 lowercase hex digits. */
int ml_registry_id_valid(const char *id);

/* Takes the writers' lock, waiting for it, then repairs what a crashed
 * writer left: a torn last history line is cut off, stage files behind the
 * history (or missing, or malformed) are rewritten from its last state for
 * them, leftover temporary files are removed.  A registry opened empty gets
 * its files here.  Taking it twice without unlocking is an error.  0, or
 * -1 with err (then not locked). */
int ml_registry_lock(struct ml_registry *reg, struct ml_err *err);
/* Releases the lock (also released when the process dies). */
void ml_registry_unlock(struct ml_registry *reg);

/* Stores len bytes as an object; the caller holds the lock.  id receives
 * "sha256:HEX"; *created is 1 when the object was not there before.  An
 * object already there whose bytes no longer match its name is replaced
 * by the good bytes (*created 1).  0, or -1 with err. */
int ml_registry_put(struct ml_registry *reg, const void *data, size_t len,
		    char id[ML_SHA256_ID_SIZE], int *created, struct ml_err *err);
/* Whether an object is there (not verified): 1, 0, or -1 with err (a
 * malformed id, or the system would not say). */
int ml_registry_has(struct ml_registry *reg, const char *id, struct ml_err *err);
/* The full id of the one object whose id starts with text: "sha256:" and
 * 8 to 64 hex digits (64: taken as it is, not looked up).  No match, or
 * more than one, is ML_ERR_DATA; a malformed text ML_ERR_USAGE.  0, or -1
 * with err. */
int ml_registry_resolve(struct ml_registry *reg, const char *text, char id[ML_SHA256_ID_SIZE],
			struct ml_err *err);
/* Reads object id into out (replacing its contents) after checking that
 * its bytes hash to id: a mismatch is ML_ERR_DATA, "registry DIR: object
 * sha256:... is corrupt (its bytes hash to sha256:...)"; a missing object
 * ML_ERR_DATA too.  0, or -1 with err. */
int ml_registry_get(struct ml_registry *reg, const char *id, struct ml_buf *out,
		    struct ml_err *err);
/* The absolute path of object id, after the same check; malloc'd, NULL
 * with err. */
char *ml_registry_object_path(struct ml_registry *reg, const char *id, struct ml_err *err);

/* Reads stage name's current state: from its file, or from the history
 * when the history holds a newer state (a writer died between the steps).
 * 1 with *st filled, 0 when the stage has never held anything, -1 with err
 * (a malformed stage file, or a whole history line that is not an event:
 * ML_ERR_DATA naming it; an invalid name: ML_ERR_USAGE).  Free with
 * ml_stage_free. */
int ml_registry_stage(struct ml_registry *reg, const char *name, struct ml_stage *st,
		      struct ml_err *err);
void ml_stage_free(struct ml_stage *st);
/* The stage names, sorted: every stage the history gave a state, and every
 * validly named stage file; *names malloc'd (each name too).  0 or -1. */
int ml_registry_stages(struct ml_registry *reg, char ***names, size_t *n, struct ml_err *err);

/* Appends one event and, when st is not NULL, makes st the stage's new
 * state; the caller holds the lock.  event_json is the caller's keys as one
 * JSON object (e.g. {"event":"promote","stage":"production",...}); this
 * module writes the line as {"format":ML_EVENT_FORMAT,"version":1,
 * "seq":N,"time":"...","user":"...","host":"...", <caller's keys>,
 * "state":<st as in its stage file>} (state only when st is given).  seq
 * is one more than the last event's; st->seq and st->time are set from
 * it.  The caller's keys may not include the module's (ML_ERR_USAGE).
 * 0, or -1 with err (nothing was appended, or the append is undone). */
int ml_registry_commit(struct ml_registry *reg, const char *event_json, size_t event_len,
		       struct ml_stage *st, struct ml_err *err);
/* The line (without its newline) the last successful ml_registry_commit
 * on reg appended, to print the event as committed; NULL before any. */
const char *ml_registry_last_event(const struct ml_registry *reg, size_t *len);

/* Calls fn for every whole history line as stored, oldest first (a torn
 * last line is skipped; no history has no lines).  fn returns 0 to go on,
 * 1 to stop, -1 (with err) to fail.  0, or -1 with err. */
typedef int (*ml_registry_event_fn)(void *ctx, const char *line, size_t len,
				    struct ml_err *err);
int ml_registry_history(struct ml_registry *reg, ml_registry_event_fn fn, void *ctx,
			struct ml_err *err);

/* Appends a stage's state to out as the one-line JSON of its stage file
 * (no newline): {"format":"mlpipe.stage","version":1,"stage":NAME,
 * "model":ID,"metrics":ID|null,"seq":N,"time":T,
 * "previous":[{"model":ID,"metrics":ID|null},...]}.  0, or -1 when memory
 * is out. */
int ml_stage_json(const struct ml_stage *st, struct ml_buf *out);

/* Checks the whole registry: every object against its name, every history
 * line is an event (format ML_EVENT_FORMAT) with seq 1, 2, 3, ..., every
 * stage file equals (as text) the last state the history gives its stage,
 * every object a stage's state names (rollback targets too) is there.  A
 * torn last history line, and a stage file one event behind when that
 * event is the history's last line, are what a writer that died (or is
 * still writing) leaves, and readers and the next writer handle them: not
 * problems.  Calls problem(ctx, text) (when not NULL) once per problem
 * found, text a whole message naming the registry like err's: "registry
 * DIR: object sha256:... is corrupt (...)".  Takes no lock: with writers
 * running, hold ml_registry_lock for an exact answer.  Returns the number
 * of problems (0: consistent), or -1 with err when it could not look. */
long ml_registry_verify(struct ml_registry *reg, void (*problem)(void *ctx, const char *text),
			void *ctx, struct ml_err *err);
/* What ml_registry_verify_tally looked at, for a summary. */
struct ml_registry_tally {
	size_t objects, stages;
	uint64_t events;
};
/* ml_registry_verify, counting into *tally (when not NULL) the objects,
 * stages and history events it checked. */
long ml_registry_verify_tally(struct ml_registry *reg,
			      void (*problem)(void *ctx, const char *text), void *ctx,
			      struct ml_registry_tally *tally, struct ml_err *err);

#endif
