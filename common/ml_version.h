/* The toolkit's version, printed by --version and written in every artifact. */
#ifndef ML_VERSION_H
#define ML_VERSION_H

#define ML_VERSION "0.1.0"

#endif
