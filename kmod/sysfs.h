/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /sys/kernel/kinfer: global attributes and the models/ directory.
 */
#ifndef _KINFER_SYSFS_H
#define _KINFER_SYSFS_H

int kinfer_sysfs_init(void);
void kinfer_sysfs_exit(void);

#endif /* _KINFER_SYSFS_H */
