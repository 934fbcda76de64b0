/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KINFER_ISA_H
#define _KINFER_ISA_H

int kinfer_isa_init(void);

#endif /* _KINFER_ISA_H */
