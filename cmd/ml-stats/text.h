/* ml-stats -f text: a profile as a table for people (and cron mail). */
#ifndef STATS_TEXT_H
#define STATS_TEXT_H

#include "ml_buf.h"
#include "ml_profile.h"

/* Appends the table for p to out; 0, or -1 when memory is out. */
int stats_text(const struct ml_profile *p, struct ml_buf *out);

#endif
