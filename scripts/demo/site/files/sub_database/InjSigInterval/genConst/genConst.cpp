// genConst.cpp: the InjSigInterval constants of the runs of ../../../InjSigTimeCal/interval.txt from the run given
// on, and copy.sh to copy them to const_runForm_runTo/. On the simulated site g++ "compiles" it into a link to
// site/programs/gen-const.sh.
#include <fstream>
#include <iostream>
int main(int argc, char **argv)
{
  std::ifstream in("../../../InjSigTimeCal/interval.txt");
  // ...
  return 0;
}
