(module
  (type (;0;) (func (param i32) (result i32)))
  (type (;1;) (func (param i32 i32 i32) (result i32)))
  (type (;2;) (func (param i32 i32 i32 i32) (result i32)))
  (type (;3;) (func (result i32)))
  (type (;4;) (func (param i32 i32) (result i32)))
  (import "env" "mem" (memory (;0;) 1 65536 shared))
  (import "env" "rd" (func (;0;) (type 1)))
  (import "env" "wr" (func (;1;) (type 2)))
  (import "env" "cc" (func (;2;) (type 0)))
  (import "env" "cf" (func (;3;) (type 3)))
  (import "env" "in" (func (;4;) (type 0)))
  (import "env" "sc" (func (;5;) (type 0)))
  (func (;6;) (type 4) (param i32 i32) (result i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    i32.const 65536
    i32.load
    local.set 10
    i32.const 65544
    i32.load
    local.set 11
    i32.const 65552
    i32.load
    local.set 12
    i32.const 65560
    i32.load
    local.set 13
    i32.const 65568
    i32.load
    local.set 14
    i32.const 65576
    i32.load
    local.set 15
    i32.const 65584
    i32.load
    local.set 16
    i32.const 65592
    i32.load
    local.set 17
    block  ;; label = @1
      block  ;; label = @2
        block  ;; label = @3
          loop  ;; label = @4
            local.get 13
            local.get 11
            i32.const 2
            i32.shl
            i32.add
            local.set 3
            local.get 3
            local.set 10
            local.get 14
            i32.const 8
            i32.add
            local.set 3
            local.get 3
            local.set 13
            local.get 12
            local.get 11
            i32.const 2
            i32.shl
            i32.add
            i32.const 256
            i32.add
            local.set 3
            local.get 3
            local.set 11
            i32.const 8192
            local.set 3
            local.get 3
            local.set 12
            i32.const 7077892
            local.get 2
            i32.const 5
            i32.add
            i32.store
            i32.const 65536
            local.get 10
            i32.store
            i32.const 65544
            local.get 11
            i32.store
            i32.const 65552
            local.get 12
            i32.store
            i32.const 65560
            local.get 13
            i32.store
            i32.const 4117
            call 4
            drop
            local.get 2
            i32.const 5
            i32.add
            local.set 2
            br 3 (;@1;)
          end
        end
      end
      i32.const 65536
      local.get 10
      i32.store
      i32.const 65544
      local.get 11
      i32.store
      i32.const 65552
      local.get 12
      i32.store
      i32.const 65560
      local.get 13
      i32.store
    end
    local.get 2)
  (export "f" (func 6)))
