(module
  (type (;0;) (func (param i32) (result i32)))
  (type (;1;) (func (param i32 i32 i32) (result i32)))
  (type (;2;) (func (param i32 i32 i32 i32) (result i32)))
  (type (;3;) (func (result i32)))
  (type (;4;) (func (param i32 i32) (result i32)))
  (type (;5;) (func (param i32 i32 i32 i32 i32)))
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
    i32.const 65680
    i32.load
    local.set 20
    i32.const 65684
    i32.load
    local.set 21
    i32.const 65688
    i32.load
    local.set 22
    i32.const 65692
    i32.load
    local.set 23
    i32.const 65696
    i32.load
    local.set 24
    block  ;; label = @1
      block  ;; label = @2
        block  ;; label = @3
          loop  ;; label = @4
            local.get 10
            local.set 5
            local.get 10
            local.set 4
            i32.const 5
            local.set 20
            i32.const 32
            local.set 21
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.and
            local.tee 24
            local.set 6
            local.get 11
            local.set 5
            local.get 24
            i32.eqz
            if  ;; label = @5
              local.get 5
              local.set 13
            end
            local.get 12
            i32.const -256
            i32.and
            local.get 24
            i32.eqz
            i32.or
            local.set 12
            local.get 10
            local.set 4
            i32.const 1
            local.set 5
            local.get 4
            local.tee 22
            local.get 5
            local.tee 23
            i32.and
            local.tee 24
            local.set 6
            local.get 13
            local.set 3
            block  ;; label = @5
              block  ;; label = @6
                local.get 3
                i32.const 4095
                i32.and
                i32.const 4092
                i32.gt_u
                br_if 0 (;@6;)
                local.get 3
                i32.const 12
                i32.shr_u
                i32.const 2
                i32.shl
                i32.const 1048576
                i32.add
                i32.load
                local.tee 9
                i32.const 33
                i32.and
                i32.const 1
                i32.ne
                br_if 0 (;@6;)
                local.get 3
                local.get 9
                i32.const -4096
                i32.and
                i32.add
                local.set 8
                local.get 8
                i32.load
                local.set 5
                br 1 (;@5;)
              end
              i32.const 7077892
              local.get 2
              i32.const 5
              i32.add
              i32.store
              i32.const 3
              local.get 3
              i32.const 32
              call 0
              local.set 5
              i32.const 7077888
              i32.load
              if  ;; label = @6
                local.get 2
                i32.const 5
                i32.add
                local.set 2
                i32.const 65664
                i32.const 4110
                i32.store
                br 3 (;@3;)
              end
            end
            local.get 24
            i32.eqz
            i32.eqz
            if  ;; label = @5
              local.get 5
              local.set 10
            end
            i32.const 7077892
            local.get 2
            i32.const 6
            i32.add
            i32.store
            i32.const 65536
            local.get 10
            i32.store
            i32.const 65552
            local.get 12
            i32.store
            i32.const 65560
            local.get 13
            i32.store
            local.get 20
            local.get 21
            local.get 22
            local.get 23
            local.get 24
            call 7
            i32.const 4113
            call 4
            drop
            local.get 2
            i32.const 6
            i32.add
            local.set 2
            br 3 (;@1;)
          end
        end
        local.get 20
        local.get 21
        local.get 22
        local.get 23
        local.get 24
        call 7
      end
      i32.const 65536
      local.get 10
      i32.store
      i32.const 65552
      local.get 12
      i32.store
      i32.const 65560
      local.get 13
      i32.store
    end
    local.get 2)
  (func (;7;) (type 5) (param i32 i32 i32 i32 i32)
    i32.const 65680
    local.get 0
    i32.store
    i32.const 65684
    local.get 1
    i32.store
    i32.const 65688
    local.get 2
    i32.store
    i32.const 65692
    local.get 3
    i32.store
    i32.const 65696
    local.get 4
    i32.store)
  (export "f" (func 6)))
