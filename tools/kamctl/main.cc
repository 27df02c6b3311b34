#include "tools/kamctl/app.h"

int main(int argc, char** argv) { return kam::kamctl::Run(argc, argv); }
