/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KINFER_MAIN_H
#define _KINFER_MAIN_H

#define KINFER_VERSION	"0.1.0"

#endif /* _KINFER_MAIN_H */
