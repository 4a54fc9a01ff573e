#include "ml_host.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void copy_name(char out[ML_HOST_NAME_SIZE], const char *s)
{
	snprintf(out, ML_HOST_NAME_SIZE, "%s", s);
}

int ml_host_user(char out[ML_HOST_NAME_SIZE])
{
	struct passwd pw, *found = NULL;
	char buf[16384];
	const char *env;

	/* the reentrant lookup: the registry and the run log may both ask */
	if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &found) == 0 && found && found->pw_name) {
		copy_name(out, found->pw_name);
		return 0;
	}
	if ((env = getenv("USER")) != NULL) {
		copy_name(out, env);
		return 0;
	}
	out[0] = '\0';
	return -1;
}

void ml_host_name(char out[ML_HOST_NAME_SIZE])
{
	/* gethostname need not terminate a name it had to cut */
	if (gethostname(out, ML_HOST_NAME_SIZE - 1) < 0)
		out[0] = '\0';
	out[ML_HOST_NAME_SIZE - 1] = '\0';
}

void ml_host_time_iso(const struct timespec *ts, char out[ML_HOST_TIME_SIZE])
{
	struct tm tm;
	char s[24];	/* leaves room for ".123Z" in out */

	gmtime_r(&ts->tv_sec, &tm);
	if (strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		s[0] = '\0';
	snprintf(out, ML_HOST_TIME_SIZE, "%s.%03dZ", s, (int)(ts->tv_nsec / 1000000));
}

void ml_host_now_iso(struct timespec *ts, char out[ML_HOST_TIME_SIZE])
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (ts)
		*ts = now;
	ml_host_time_iso(&now, out);
}
