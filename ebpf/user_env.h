/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The parsers in user space (unit tests, fuzzers, benchmarks): a null
 * environment for parser_env.h. User memory is plain memory; whatever the
 * includer has not bound before including this is absent: no header capture,
 * no start line kept across reads, no LLM/MCP calls. The includer still
 * defines the hook functions.
 */
#ifndef APISCOPE_USER_ENV_H
#define APISCOPE_USER_ENV_H

#include <string.h>

#include "conn_types.h"

#ifndef AS_READ_USER
#define AS_READ_USER(dst, len, src) (memcpy((dst), (const void *)(src), (len)), 0)
#endif
#ifndef AS_CAPTURE_CFG
static struct as_capture_cfg as_no_capture;
#define AS_CAPTURE_CFG as_no_capture
#endif
#ifndef AS_CAPTURE_ON
#define AS_CAPTURE_ON 0
#endif
#ifndef AS_CAP_START
#define AS_CAP_START(s, slot, start_ns) ((struct as_hdr_vals *)0)
#endif
#ifndef AS_CAP_FIND
#define AS_CAP_FIND(s, slot) ((struct as_hdr_vals *)0)
#endif
#ifndef AS_PARTIAL_GET
#define AS_PARTIAL_GET(s, create) ((struct as_partial *)0)
#endif
#ifndef AS_GENAI_ON
#define AS_GENAI_ON 0
#endif
#ifndef AS_GENAI_GET
#define AS_GENAI_GET(s, slot, start_ns, create) ((struct as_genai_call *)0)
#endif
#ifndef AS_H2_ON
#define AS_H2_ON 0
#endif
#ifndef AS_H2_SPILL
#define AS_H2_SPILL(c, s, stream, create) ((struct as_h2_stream *)0)
#define AS_H2_UNSPILL(c, s, stream) 0
#endif

#endif
