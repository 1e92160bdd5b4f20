// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: tracepoint definitions.
 */
#define CREATE_TRACE_POINTS
#include "exotic_trace.h"
