// RUN: spore-opt %s -split-input-file -verify-diagnostics --spore-thread-state

// An export that assigns starts from the state it receives, so no other
// function can call it and pass the state along.
spore.parameter "n" : tensor<i64> "const" [0.0]
spore.func @bump(%n: tensor<i64> {spore.state = "n"}) -> tensor<i64> attributes {spore.export} {
  spore.assign "n", %n : tensor<i64>
  spore.return %n : tensor<i64>
}
spore.func @caller(%n: tensor<i64> {spore.state = "n"}) -> tensor<i64> attributes {spore.export} {
  // expected-error @+1 {{calls the export 'bump', which assigns the state; call a function it calls instead}}
  %0 = spore.call @bump(%n) : (tensor<i64>) -> tensor<i64>
  spore.return %0 : tensor<i64>
}

// -----

// A region op the pass does not know how to carry values through.
spore.parameter "n" : tensor<i64> "const" [0.0]
spore.func @f(%n: tensor<i64> {spore.state = "n"}) -> tensor<i64> attributes {spore.export} {
  // expected-error @+1 {{assigns the state inside an op that spore-thread-state cannot thread it through}}
  scf.execute_region {
    spore.assign "n", %n : tensor<i64>
    scf.yield
  }
  spore.return %n : tensor<i64>
}
