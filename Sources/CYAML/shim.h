#ifndef PFLOW_CYAML_SHIM_H
#define PFLOW_CYAML_SHIM_H
#include <yaml.h>
#endif
