/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef EXOTIC_KVM_H
#define EXOTIC_KVM_H

#include "exotic.h"

#endif
