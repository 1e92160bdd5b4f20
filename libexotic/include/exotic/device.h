/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef EXOTIC_DEVICE_H
#define EXOTIC_DEVICE_H

#include "exotic.h"

#endif
