/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef EXOTIC_REGION_H
#define EXOTIC_REGION_H

#include "exotic.h"

#endif
