# autoscale_module(<name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# One static library per module (core, scene, sim, eval, mixture, encode, train, loop, cli),
# named autoscale_<name>, with public headers under include/autoscale/<name>/.
set(AUTOSCALE_WARNINGS -Wall -Wextra -Wno-unused-parameter)

function(autoscale_module name)
  cmake_parse_arguments(M "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(autoscale_${name} STATIC ${M_SOURCES})
  target_include_directories(autoscale_${name} PUBLIC "${PROJECT_SOURCE_DIR}/include")
  target_compile_options(autoscale_${name} PRIVATE ${AUTOSCALE_WARNINGS})
  target_link_libraries(autoscale_${name} PUBLIC ${M_PUBLIC_DEPS} PRIVATE ${M_PRIVATE_DEPS})
endfunction()
