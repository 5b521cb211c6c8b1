/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * json-reader.h - a small JSON reader for the tests: enough to check that
 * a text is one valid JSON object (RFC 8259) and to pick out the string
 * "type" and the strings of the array "features" of that object, as
 * vhost-user.json backend descriptions have them.
 */
#ifndef VHOSTFS_JSON_READER_H
#define VHOSTFS_JSON_READER_H

#include <stdbool.h>

struct json {
    const char *p;        /* private: the reading position */
    char type[32];        /* top-level "type", if a string (truncated) */
    char features[8][32]; /* top-level "features", its first 8 strings */
    int nfeatures;
};

/**
 * json_parse() - read @text, which must be one JSON object with nothing
 * but white space after it, into @j.  Returns whether it is valid.
 */
bool json_parse(struct json *j, const char *text);

#endif /* VHOSTFS_JSON_READER_H */
