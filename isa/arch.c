/*
 * isa/vector.c - the names of exception vectors (isa/arch.h).
 */
#include "isa/arch.h"
#include "isa/x86.h"

const char *x86_vector_name(unsigned vector)
{
	/* As the SDM names them (vol. 3, table 6-1). */
	static const char *const names[T_NEXC] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
		"#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
		"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
		"#24", "#25", "#26", "#27", "#28", "#29", "#30", "#31",
	};
	return vector < T_NEXC ? names[vector] : "#INTR";
}
