# install_consumer_test.cmake — ctest's install_consumer: cmake --install the build into
# BUILD_DIR/install-test, then configure, build and run tests/install_consumer against that prefix only.
# Run as: cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DCXX=... -P install_consumer_test.cmake
set(prefix ${BUILD_DIR}/install-test)
set(consumer ${BUILD_DIR}/install-consumer-build)
file(REMOVE_RECURSE ${prefix} ${consumer})
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install_consumer: ${what} failed (exit ${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()
run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f include/eigengrad/eigengrad.h include/eigengrad/nn/nn.h lib/cmake/eigengrad/eigengrad-config.cmake bin/train_erm)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "install_consumer: ${prefix}/${f} was not installed")
  endif()
endforeach()
run("configuring the consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install_consumer -B ${consumer}
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix})
run("building the consumer" ${CMAKE_COMMAND} --build ${consumer})
run("running the consumer" ${consumer}/consumer)
