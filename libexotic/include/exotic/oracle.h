/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef EXOTIC_ORACLE_H
#define EXOTIC_ORACLE_H

#include "exotic.h"

#endif
