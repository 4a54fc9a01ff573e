/* ml_host: who ran this, on which machine, and when, written the same way
 * by every record that says so (the run log, the registry's history). */
#ifndef ML_HOST_H
#define ML_HOST_H

#include <stddef.h>
#include <time.h>

/* Room for a user or host name (POSIX allows 255 bytes of host name). */
#define ML_HOST_NAME_SIZE 256
/* Room for "2026-11-26T09:20:31.123Z" and its NUL, with years past 9999. */
#define ML_HOST_TIME_SIZE 32

/* The effective user's login name (the password database, else $USER) in
 * out; 0, or -1 when neither knows one (out is then ""). */
int ml_host_user(char out[ML_HOST_NAME_SIZE]);
/* This machine's host name in out; "" when the system will not say. */
void ml_host_name(char out[ML_HOST_NAME_SIZE]);
/* ts as UTC in ISO 8601 with milliseconds: "2026-11-26T09:20:31.123Z". */
void ml_host_time_iso(const struct timespec *ts, char out[ML_HOST_TIME_SIZE]);
/* The wall-clock time now, as ml_host_time_iso writes it; *ts (when not
 * NULL) receives the instant itself. */
void ml_host_now_iso(struct timespec *ts, char out[ML_HOST_TIME_SIZE]);

#endif
