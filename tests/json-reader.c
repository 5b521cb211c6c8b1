/* SPDX-License-Identifier: BSD-3-Clause */
/* json-reader.c - a small JSON reader for the tests (json-reader.h). */
#include <string.h>

#include "json-reader.h"

static void json_ws(struct json *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r') {
        j->p++;
    }
}

static bool json_value(struct json *j, int depth, char *str, size_t len);

static bool json_string(struct json *j, char *out, size_t len)
{
    size_t n = 0;

    if (*j->p++ != '"') {
        return false;
    }
    while (*j->p != '"') {
        unsigned char ch = (unsigned char)*j->p++;

        if (ch < 0x20) {
            return false;
        }
        if (ch == '\\') {
            ch = (unsigned char)*j->p++;
            if (ch == 'u') {
                for (int i = 0; i < 4; i++, j->p++) {
                    if (!strchr("0123456789abcdefABCDEF", *j->p) || !*j->p) {
                        return false;
                    }
                }
            } else if (!ch || !strchr("\"\\/bfnrt", ch)) {
                return false;
            }
        }
        if (out && n + 1 < len) {
            out[n++] = (char)ch;
        }
    }
    j->p++;
    if (out && len) {
        out[n] = '\0';
    }
    return true;
}

static bool json_number(struct json *j)
{
    const char *s = j->p;

    if (*j->p == '-') {
        j->p++;
    }
    if (*j->p == '0') {
        j->p++;
    } else if (*j->p >= '1' && *j->p <= '9') {
        while (*j->p >= '0' && *j->p <= '9') {
            j->p++;
        }
    } else {
        return false;
    }
    if (*j->p == '.') {
        j->p++;
        if (!(*j->p >= '0' && *j->p <= '9')) {
            return false;
        }
        while (*j->p >= '0' && *j->p <= '9') {
            j->p++;
        }
    }
    if (*j->p == 'e' || *j->p == 'E') {
        j->p++;
        if (*j->p == '+' || *j->p == '-') {
            j->p++;
        }
        if (!(*j->p >= '0' && *j->p <= '9')) {
            return false;
        }
        while (*j->p >= '0' && *j->p <= '9') {
            j->p++;
        }
    }
    return j->p > s;
}

static bool json_value(struct json *j, int depth, char *str, size_t len)
{
    char key[32];

    if (depth > 16) {
        return false;
    }
    json_ws(j);
    switch (*j->p) {
    case '{':
        j->p++;
        json_ws(j);
        if (*j->p == '}') {
            j->p++;
            return true;
        }
        for (;;) {
            json_ws(j);
            if (!json_string(j, key, sizeof(key))) {
                return false;
            }
            json_ws(j);
            if (*j->p++ != ':') {
                return false;
            }
            if (depth == 0 && !strcmp(key, "type")) {
                json_ws(j);
                if (!json_value(j, depth + 1, j->type, sizeof(j->type))) {
                    return false;
                }
            } else if (depth == 0 && !strcmp(key, "features")) {
                json_ws(j);
                if (!json_value(j, -100, NULL, 0)) { /* see '[' */
                    return false;
                }
            } else if (!json_value(j, depth + 1, NULL, 0)) {
                return false;
            }
            json_ws(j);
            if (*j->p == '}') {
                j->p++;
                return true;
            }
            if (*j->p++ != ',') {
                return false;
            }
        }
    case '[':
        j->p++;
        json_ws(j);
        if (*j->p == ']') {
            j->p++;
            return true;
        }
        for (;;) {
            json_ws(j);
            /* depth -100 marks the top object's "features" array. */
            if (depth == -100 && *j->p == '"' && j->nfeatures < 8) {
                if (!json_string(j, j->features[j->nfeatures++], 32)) {
                    return false;
                }
            } else if (!json_value(j, depth < 0 ? 1 : depth + 1, NULL, 0)) {
                return false;
            }
            json_ws(j);
            if (*j->p == ']') {
                j->p++;
                return true;
            }
            if (*j->p++ != ',') {
                return false;
            }
        }
    case '"':
        return json_string(j, str, len);
    case 't':
        return !strncmp(j->p, "true", 4) && (j->p += 4);
    case 'f':
        return !strncmp(j->p, "false", 5) && (j->p += 5);
    case 'n':
        return !strncmp(j->p, "null", 4) && (j->p += 4);
    default:
        return json_number(j);
    }
}

bool json_parse(struct json *j, const char *text)
{
    memset(j, 0, sizeof(*j));
    j->p = text;
    json_ws(j);
    if (*j->p != '{' || !json_value(j, 0, NULL, 0)) {
        return false;
    }
    json_ws(j);
    return *j->p == '\0';
}
